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

from schemas.checks import AGENCY
from schemas.codes import ReferralSource
from schemas.local_authorities import LOCAL_AUTHORITIES
from schemas.topics import Topics, TopicSpec, check_organisation_id

POLICE_SOURCE = ReferralSource.POLICE.value
URN_PATTERN = r"^\d{6}$"


class CheckDuty(BaseModel):
    """Which councils' partner checks an organisation answers, and as which agency."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    agency: str = Field(
        pattern=AGENCY.pattern,
        description="The agency kind it answers as: police, health, education, or another "
        "(lower-case letters and hyphens).",
    )
    local_authorities: tuple[str, ...] = Field(
        min_length=1, description="DfE LA numbers whose checks it answers."
    )

    @field_validator("local_authorities")
    @classmethod
    def _known(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [la for la in value if la not in LOCAL_AUTHORITIES]
        if unknown:
            raise ValueError(f"not DfE local authority numbers: {', '.join(unknown)}")
        return value


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
        description="HMAC-SHA256 key for signing webhook deliveries: for a demo or a test only. "
        "In production the key is in the notifier's own secrets file "
        "(FRONTDOOR_NOTIFIER_WEBHOOK_SECRETS_FILE, a Kubernetes Secret mounted into the notifier "
        "alone), never in this registry, which every service reads.",
    )
    checks: CheckDuty | None = Field(
        default=None,
        description="If it answers partner checks: as which agency, for which councils.",
    )
    urn: str | None = Field(
        default=None,
        pattern=URN_PATTERN,
        description="A school's unique reference number: Operation Encompass notices for its "
        "pupils are delivered to it.",
    )

    @property
    def police(self) -> bool:
        """Whether it is a police force (census source 6): it may send Encompass notices."""
        return self.source == POLICE_SOURCE

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        return check_organisation_id(value)


class PartnerRegistry(BaseModel):
    """Every registered partner, looked up by organisation id."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    partners: tuple[Partner, ...] = Field(description="The registered organisations.")

    @model_validator(mode="after")
    def _one_school_per_urn(self) -> Self:
        urns = [p.urn for p in self.partners if p.urn is not None]
        twice = sorted({urn for urn in urns if urns.count(urn) > 1})
        if twice:
            raise ValueError(f"a URN names one school: {', '.join(twice)} given twice")
        return self

    def get(self, organisation_id: str) -> Partner | None:
        """The partner with this id, or None if it is not registered."""
        return next((p for p in self.partners if p.id == organisation_id), None)

    def check_partners(self, local_authority: str) -> list[Partner]:
        """The organisations that answer ``local_authority``'s checks, by id."""
        return sorted(
            (
                p
                for p in self.partners
                if p.checks and local_authority in p.checks.local_authorities
            ),
            key=lambda p: p.id,
        )

    @property
    def ids(self) -> list[str]:
        """Every registered organisation id."""
        return [p.id for p in self.partners]

    def school(self, urn: str) -> Partner | None:
        """The registered school with this URN, or None."""
        return next((p for p in self.partners if p.urn == urn), None)

    @property
    def police_ids(self) -> list[str]:
        """Every police force: each has an Encompass inbound topic."""
        return [p.id for p in self.partners if p.police]

    @property
    def checking_ids(self) -> list[str]:
        """Every organisation that answers some council's partner checks."""
        return [p.id for p in self.partners if p.checks is not None]

    def topic_specs(self, topics: Topics) -> list[tuple[str, TopicSpec]]:
        """Every topic a deployment with these partners needs."""
        return topics.specs_for(self.ids, self.checking_ids, self.police_ids)


class WebhookSecrets(BaseModel):
    """The notifier's webhook signing keys, by organisation id (a file only the notifier reads)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    secrets: dict[str, SecretStr] = Field(
        default_factory=dict, description="Organisation id -> HMAC-SHA256 key."
    )

    @field_validator("secrets")
    @classmethod
    def _known_shape(cls, value: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for org in value:
            check_organisation_id(org)
        return value
