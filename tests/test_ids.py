"""Task ids: natural order and validation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from statuskit import InvalidTaskId, natural_key
from statuskit.ids import check_task_id, closest_ids


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
