"""Task ids: natural order and validation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from statuskit import InvalidTaskId, natural_key
from statuskit.ids import check_task_id, closest_ids, duplicate_ids, findings_file_name

from .strategies import maybe_task_ids


class TestNaturalOrder:
    """Ids sort part by part, numbers as numbers."""

    def test_examples(self) -> None:
        """2.9 < 2.10, 3.4 < 3.4.1, numbers before letters, V-ids."""
        ids = ["3.4.1", "2.10", "V2", "3.1.A", "2.9", "3.4", "10.1", "V10", "3.1.1"]
        assert sorted(ids, key=natural_key) == [
            "2.9",
            "2.10",
            "3.1.1",
            "3.1.A",
            "3.4",
            "3.4.1",
            "10.1",
            "V2",
            "V10",
        ]

    @given(st.lists(st.lists(st.integers(0, 200), min_size=1, max_size=4), min_size=2))
    def test_matches_integer_tuples(self, parts: list[list[int]]) -> None:
        """For numeric ids the order is exactly the order of integer tuples."""
        ids = [".".join(map(str, p)) for p in parts]
        assert [natural_key(i) for i in sorted(ids, key=natural_key)] == [
            natural_key(".".join(map(str, p))) for p in sorted(parts)
        ]


class TestCheck:
    """Ids that become file names are validated."""

    @pytest.mark.parametrize(
        "bad", ["", "..", "a/b", "a\\b", "1.1\x00", " 1.1", "../1", "x" * 65, "1..2"]
    )
    def test_rejected(self, bad: str) -> None:
        """Traversal, separators, NUL, blanks, long ids."""
        with pytest.raises(InvalidTaskId):
            check_task_id(bad)

    @pytest.mark.parametrize("good", ["1.1", "3.4.1", "V1", "3.1.A", "setup"])
    def test_accepted(self, good: str) -> None:
        """Real ids pass unchanged."""
        assert check_task_id(good) == good

    def test_closest(self) -> None:
        """Suggestions prefer similar ids, then the same leading part."""
        assert closest_ids("2.99", ["1.1", "2.1", "2.9", "3.1"])[0] == "2.9"
        assert closest_ids("zzz", []) == ()


class TestReasons:
    """Each rejection says its own reason."""

    @pytest.mark.parametrize(
        ("bad", "reason"),
        [
            ("", "empty"),
            ("x" * 65, "longer than 64"),
            (" 1.1", "white space"),
            ("a/b", "path separator"),
            ("a\\b", "path separator"),
            ("1.1\x00", "control character U+0000"),
            ("1\x1f1", "control character U+001F"),
            ("1\x851", "control character U+0085"),
            ("1\u20281", "control character U+2028"),
            ("1\udc801", "lone surrogate"),
            ("..", "contains '..'"),
            ("1..2", "contains '..'"),
            ("../1", "path separator"),
            (".", "'.' names the current folder"),
        ],
    )
    def test_reason(self, bad: str, reason: str) -> None:
        """The message names what is wrong with this id, and only that."""
        with pytest.raises(InvalidTaskId) as info:
            check_task_id(bad)
        assert reason in info.value.reason
        assert reason in str(info.value)

    def test_dot_is_not_called_dot_dot(self) -> None:
        """The issue's case: '.' is not rejected as containing '..'."""
        with pytest.raises(InvalidTaskId) as info:
            check_task_id(".")
        assert ".." not in info.value.reason


def _valid(task_id: str) -> bool:
    try:
        check_task_id(task_id)
    except InvalidTaskId:
        return False
    return True


valid_ids = maybe_task_ids.filter(_valid)


class TestFindingsFileName:
    """One file per id: the mapping is injective and keeps the replaced tool's names."""

    def test_examples(self) -> None:
        """1.2 and 1-2 no longer share a file; ids without '-' keep their old names."""
        assert findings_file_name("1.2") == "1-2.md"
        assert findings_file_name("1-2") == "1.2.md"
        assert findings_file_name("3.1.A") == "3-1-A.md"
        assert findings_file_name("V1") == "V1.md"

    @given(valid_ids)
    def test_invertible(self, task_id: str) -> None:
        """Swapping '.' and '-' back recovers the id: no two ids share a file name."""
        name = findings_file_name(task_id)
        assert name.endswith(".md")
        assert name[:-3].translate(str.maketrans(".-", "-.")) == task_id
        assert "/" not in name
        assert name not in (".", "..")

    @given(st.lists(valid_ids, unique=True, max_size=30))
    def test_injective(self, task_ids: list[str]) -> None:
        """Distinct ids, distinct names."""
        names = [findings_file_name(task_id) for task_id in task_ids]
        assert len(set(names)) == len(names)

    @given(valid_ids.filter(lambda task_id: "-" not in task_id))
    def test_old_names_kept(self, task_id: str) -> None:
        """For ids without '-', the name is the replaced tool's: '.' became '-'."""
        assert findings_file_name(task_id) == task_id.replace(".", "-") + ".md"

    @given(maybe_task_ids)
    def test_invalid_ids_never_become_names(self, task_id: str) -> None:
        """A file name is only ever made from a valid id."""
        if _valid(task_id):
            assert findings_file_name(task_id)
        else:
            with pytest.raises(InvalidTaskId):
                findings_file_name(task_id)


class TestDuplicateIds:
    """duplicate_ids names every id that occurs more than once."""

    def test_examples(self) -> None:
        """Each duplicate once, in order of first occurrence."""
        assert duplicate_ids(["1.1", "1.2", "1.1", "2.1", "1.2", "1.1"]) == ("1.1", "1.2")
        assert duplicate_ids(["1.1", "1.2"]) == ()
        assert duplicate_ids([]) == ()

    @given(st.lists(st.sampled_from(["1.1", "1.2", "2.1", "V1"]), max_size=10))
    def test_matches_a_recount(self, task_ids: list[str]) -> None:
        """An id is reported exactly when it occurs twice or more."""
        found = duplicate_ids(task_ids)
        assert set(found) == {i for i in task_ids if task_ids.count(i) > 1}
        assert len(found) == len(set(found))
        assert list(found) == sorted(found, key=task_ids.index)
