"""One threshold policy per council: a deployment that serves several holds a book of them.

A policy folder holds one file per local authority, named by its DfE number (``808.yaml``);
a council without a file of its own is served by the default policy. Triage's decisions and
due times, the referrer's "decision due by", the dashboard's time left and ``frontdoor replay``
all read the same book, so they count the same working day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from domain.policy import DEFAULT_POLICY, Policy
from schemas.local_authorities import LOCAL_AUTHORITIES
from schemas.yaml_files import ConfigFileError, load_yaml_model

PolicyFileError = ConfigFileError  # a policy file that cannot be used, said in one line


def read_policy(path: Path) -> Policy:
    """Read and validate one policy file, or raise :class:`PolicyFileError` saying why."""
    return load_yaml_model(path, Policy)


@dataclass(frozen=True)
class PolicyBook:
    """The policy of each council this deployment serves, and the default for the rest."""

    default: Policy
    by_local_authority: Mapping[str, Policy] = field(default_factory=dict)

    def for_la(self, local_authority: str) -> Policy:
        """The policy that decides ``local_authority``'s contacts."""
        return self.by_local_authority.get(local_authority, self.default)

    @classmethod
    def single(cls, policy: Policy) -> PolicyBook:
        """One policy for every council."""
        return cls(policy)

    @classmethod
    def load(cls, default_file: Path | None = None, folder: Path | None = None) -> PolicyBook:
        """The default policy (the given file, else the shipped one) and a folder's councils."""
        default = read_policy(default_file or DEFAULT_POLICY)
        by_la: dict[str, Policy] = {}
        if folder is not None:
            if not folder.is_dir():
                raise PolicyFileError(f"{folder}: the policy folder does not exist")
            for path in sorted(folder.glob("*.y*ml")):
                la = path.stem
                if la not in LOCAL_AUTHORITIES:
                    raise PolicyFileError(
                        f"{path}: name each file by the DfE number of its council, e.g. 808.yaml"
                    )
                policy = read_policy(path)
                if policy.local_authority not in (None, la):
                    raise PolicyFileError(
                        f"{path}: says local_authority {policy.local_authority}, "
                        f"but the file is named for {la}"
                    )
                by_la[la] = policy
        return cls(default, by_la)
