"""Children in Need census codes, as Front Door uses them on the wire (DfE CIN census guide)."""

from __future__ import annotations

from enum import StrEnum


class ReferralSource(StrEnum):
    """Who made the referral (CIN census referral source)."""

    FAMILY = "1A"
    ACQUAINTANCE = "1B"
    SELF = "1C"
    OTHER_INDIVIDUAL = "1D"
    SCHOOLS = "2A"
    EDUCATION_SERVICES = "2B"
    GP = "3A"
    HEALTH_VISITOR = "3B"
    SCHOOL_NURSE = "3C"
    OTHER_PRIMARY_HEALTH = "3D"
    A_AND_E = "3E"
    OTHER_HEALTH = "3F"
    HOUSING = "4"
    LA_SOCIAL_CARE = "5A"
    LA_OTHER_INTERNAL = "5B"
    LA_EXTERNAL = "5C"
    LA_EARLY_HELP = "5D"
    POLICE = "6"
    OTHER_LEGAL_AGENCY = "7"
    OTHER = "8"
    ANONYMOUS = "9"
    UNKNOWN = "10"


class Factor(StrEnum):
    """A concern category (CIN census factor identified at assessment)."""

    ALCOHOL_CHILD = "1A"
    ALCOHOL_PARENT = "1B"
    ALCOHOL_OTHER = "1C"
    DRUGS_CHILD = "2A"
    DRUGS_PARENT = "2B"
    DRUGS_OTHER = "2C"
    DOMESTIC_ABUSE_CHILD = "3A"
    DOMESTIC_ABUSE_PARENT = "3B"
    DOMESTIC_ABUSE_OTHER = "3C"
    MENTAL_HEALTH_CHILD = "4A"
    MENTAL_HEALTH_PARENT = "4B"
    MENTAL_HEALTH_OTHER = "4C"
    LEARNING_DISABILITY_CHILD = "5A"
    LEARNING_DISABILITY_PARENT = "5B"
    LEARNING_DISABILITY_OTHER = "5C"
    PHYSICAL_DISABILITY_CHILD = "6A"
    PHYSICAL_DISABILITY_PARENT = "6B"
    PHYSICAL_DISABILITY_OTHER = "6C"
    YOUNG_CARER = "7A"
    PRIVATELY_FOSTERED_B = "8B"
    PRIVATELY_FOSTERED_C = "8C"
    PRIVATELY_FOSTERED_D = "8D"
    PRIVATELY_FOSTERED_E = "8E"
    PRIVATELY_FOSTERED_F = "8F"
    UNACCOMPANIED_ASYLUM_SEEKING = "9A"
    MISSING = "10A"
    SEXUAL_EXPLOITATION = "11A"
    TRAFFICKING = "12A"
    GANGS = "13A"
    SOCIALLY_UNACCEPTABLE_BEHAVIOUR = "14A"
    SELF_HARM = "15A"
    NEGLECT = "16A"
    EMOTIONAL_ABUSE = "17A"
    PHYSICAL_ABUSE_CHILD_ON_CHILD = "18B"
    PHYSICAL_ABUSE_ADULT_ON_CHILD = "18C"
    SEXUAL_ABUSE_CHILD_ON_CHILD = "19B"
    SEXUAL_ABUSE_ADULT_ON_CHILD = "19C"
    OTHER = "20"
    NO_FACTORS = "21"
    FEMALE_GENITAL_MUTILATION = "22A"
    FAITH_OR_BELIEF = "23A"
    CRIMINAL_EXPLOITATION = "24A"


class Sex(StrEnum):
    """Sex as the census records it from 2024-25."""

    FEMALE = "F"
    MALE = "M"
    UNKNOWN = "U"


class Ethnicity(StrEnum):
    """The DfE census's ethnicity codes (REFU: refused; NOBT: information not yet obtained)."""

    WBRI = "WBRI"
    WIRI = "WIRI"
    WIRT = "WIRT"
    WOTH = "WOTH"
    WROM = "WROM"
    MWBC = "MWBC"
    MWBA = "MWBA"
    MWAS = "MWAS"
    MOTH = "MOTH"
    AIND = "AIND"
    APKN = "APKN"
    ABAN = "ABAN"
    AOTH = "AOTH"
    BCRB = "BCRB"
    BAFR = "BAFR"
    BOTH = "BOTH"
    CHNE = "CHNE"
    OOTH = "OOTH"
    REFU = "REFU"
    NOBT = "NOBT"


class DashRisk(StrEnum):
    """The police DASH domestic-abuse risk grade."""

    STANDARD = "standard"
    MEDIUM = "medium"
    HIGH = "high"


class ConsentStatus(StrEnum):
    """Whether the family consented to the referral."""

    GIVEN = "given"
    REFUSED = "refused"
    NOT_SOUGHT = "not_sought"


class Relationship(StrEnum):
    """How a member of the household or family is related to the child (DOMAIN B)."""

    MOTHER = "mother"
    FATHER = "father"
    STEP_PARENT = "step-parent"
    CARER = "carer"
    SIBLING = "sibling"
    OTHER_ADULT = "other-adult-in-household"
    OTHER_FAMILY = "other-family-member"
    ALLEGED_RISK = "person-alleged-to-pose-a-risk"


class ParentalResponsibility(StrEnum):
    """Whether a person holds parental responsibility for the child."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"
