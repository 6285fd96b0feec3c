"""The concerns a referrer can choose, in plain English, each mapped to its CIN census factor."""

from __future__ import annotations

from dataclasses import dataclass

from schemas.codes import Factor


@dataclass(frozen=True, slots=True)
class Choice:
    """One tick box: what the referrer reads, and the factor it records."""

    factor: Factor
    label: str


def _choices(*pairs: tuple[str, str]) -> tuple[Choice, ...]:
    return tuple(Choice(Factor(code), label) for code, label in pairs)


PROFESSIONAL: tuple[tuple[str, tuple[Choice, ...]], ...] = (
    (
        "Abuse and neglect",
        _choices(
            ("16A", "Neglect: the child's basic needs are not being met"),
            ("17A", "Emotional abuse"),
            ("18C", "Physical abuse by an adult"),
            ("18B", "Physical abuse by another child"),
            ("19C", "Sexual abuse by an adult"),
            ("19B", "Sexual abuse by another child"),
        ),
    ),
    (
        "Domestic abuse",
        _choices(
            ("3A", "The child is a victim of domestic abuse (including in their own relationship)"),
            ("3B", "Domestic abuse between the child's parents or carers"),
            ("3C", "Domestic abuse involving another person in the household"),
        ),
    ),
    (
        "A parent or carer",
        _choices(
            ("1B", "A parent's or carer's alcohol use"),
            ("2B", "A parent's or carer's drug use"),
            ("4B", "A parent's or carer's mental health"),
            ("5B", "A parent's or carer's learning disability"),
            ("6B", "A parent's or carer's physical disability or illness"),
        ),
    ),
    (
        "Another person in the household",
        _choices(
            ("1C", "Another household member's alcohol use"),
            ("2C", "Another household member's drug use"),
            ("4C", "Another household member's mental health"),
            ("5C", "Another household member's learning disability"),
            ("6C", "Another household member's physical disability or illness"),
        ),
    ),
    (
        "The child's own needs",
        _choices(
            ("1A", "The child's alcohol use"),
            ("2A", "The child's drug use"),
            ("4A", "The child's mental health"),
            ("15A", "Self-harm"),
            ("5A", "The child's learning disability"),
            ("6A", "The child's physical disability or illness"),
            ("7A", "The child is a young carer"),
            ("14A", "The child's behaviour puts them or others at risk"),
        ),
    ),
    (
        "Risks outside the home",
        _choices(
            ("10A", "The child goes missing"),
            ("11A", "Child sexual exploitation"),
            ("24A", "Child criminal exploitation (for example county lines)"),
            ("13A", "Gangs"),
            ("12A", "Trafficking"),
            ("22A", "Female genital mutilation"),
            ("23A", "Abuse linked to faith or belief"),
        ),
    ),
    (
        "The child's circumstances",
        _choices(
            ("9A", "An unaccompanied asylum-seeking child"),
            ("8B", "A child who is privately fostered"),
        ),
    ),
    (
        "Something else",
        _choices(
            ("20", "Another concern (say what in the details)"),
            ("21", "No specific concern: I am asking for advice"),
        ),
    ),
)

PUBLIC: tuple[Choice, ...] = _choices(
    ("18C", "The child is being hurt, or I think they have been"),
    ("16A", "The child is not being looked after (often hungry, dirty, or left alone)"),
    ("19C", "Someone is doing sexual things to the child"),
    ("3B", "Violence or abuse between adults at home"),
    ("1B", "A parent drinks so much that the child suffers"),
    ("2B", "A parent takes drugs and the child suffers"),
    ("10A", "The child goes missing"),
    ("24A", "The child is being made to commit crime or carry drugs"),
    ("20", "Something else"),
)

DOMESTIC_ABUSE = frozenset({Factor("3A"), Factor("3B"), Factor("3C")})
