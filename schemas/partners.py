"""The partner registry: which organisations may send referrals, for which local authorities."""

from __future__ import annotations

from typing import Self

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

from schemas.topics import check_organisation_id


class Partner(BaseModel):
    """One partner organisation and what it is allowed to do."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="Organisation id; names its topics. Lower-case, digits, hyphens.")
    name: str = Field(min_length=1, description="The organisation's name, for people.")
    source: str = Field(description="Its Children in Need census referral source code.")
    local_authorities: tuple[str, ...] = Field(
        min_length=1,
        description="DfE LA numbers this organisation refers to.",
    )
    webhook: AnyHttpUrl | None = Field(
        default=None,
        description="Where status updates are POSTed, if anywhere.",
    )
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="HMAC-SHA256 key for signing webhook deliveries.",
    )

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        return check_organisation_id(value)

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Self:
        if self.webhook is not None and self.webhook_secret is None:
            raise ValueError("a webhook needs a webhook_secret to sign deliveries with")
        return self


class PartnerRegistry(BaseModel):
    """Every registered partner, looked up by organisation id."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    partners: tuple[Partner, ...] = Field(description="The registered organisations.")

    def get(self, organisation_id: str) -> Partner | None:
        """The partner with this id, or None if it is not registered."""
        return next((p for p in self.partners if p.id == organisation_id), None)

    @property
    def ids(self) -> list[str]:
        """Every registered organisation id."""
        return [p.id for p in self.partners]
