"""Referrers who may sign in to the professional form: a list of accounts per organisation.

Passwords are Argon2id hashes, as for duty managers. Each account belongs to one registered
organisation and sends as it; its name, role and email go into the referral's ``referrer``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from runtime.web.passwords import password_matches


class ReferrerAccount(BaseModel):
    """One person at a partner organisation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    username: str = Field(pattern=r"^[a-z0-9._@-]{2,64}$", description="Sign-in name.")
    name: str = Field(min_length=1, max_length=100, description="Their name, sent as referrer.")
    organisation_id: str = Field(description="The registered organisation they refer for.")
    role: str | None = Field(default=None, max_length=200, description="Their role.")
    email: str | None = Field(default=None, description="Where the front door can reach them.")
    password_hash: str = Field(description="Argon2 hash of the password; never the password.")


class ReferrerAccounts(BaseModel):
    """The referrers file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    referrers: tuple[ReferrerAccount, ...] = ()

    def get(self, username: str | None) -> ReferrerAccount | None:
        """The account with this username."""
        return next((r for r in self.referrers if r.username == username), None)

    def authenticate(self, username: str, password: str) -> ReferrerAccount | None:
        """The account if the password is right (an unknown name costs the same)."""
        account = self.get(username)
        if password_matches(account.password_hash if account else None, password):
            return account
        return None
