"""The sample plan ``statuskit demo`` carries out with the simulated agent."""

from __future__ import annotations

__all__ = ["DEMO_PLAN"]

DEMO_PLAN = """\
# Demo: Add a config loader

A sample plan for `statuskit demo`. A simulated agent carries it out.

## Phase 1: Foundations

- [ ] 1.1 Create the package layout
- [ ] 1.2 Add the configuration schema
- [ ] 1.3 Write the loader (depends: 1.2)
- [ ] 1.4 Document the configuration keys

## Phase 2: Behaviour

**Execution Note:** Tasks 2.1-2.2 are [SEQUENTIAL] - both edit loader.py

- [ ] 2.1 Validate values against the schema
- [ ] 2.2 Report errors with line numbers
- [ ] 2.3 Add environment overrides

## Phase 3: Release

- [ ] 3.1 Write the tests
- [ ] 3.2 Update the changelog
- [ ] 3.3 Tag the release (depends: 3.1, 3.2)
"""
