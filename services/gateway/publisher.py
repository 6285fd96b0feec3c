"""Publishing a validated referral to its organisation's inbound topic, as a partner would."""

from __future__ import annotations

from dataclasses import dataclass

from aiokafka import AIOKafkaProducer

from runtime import tracing
from schemas.encompass import Acknowledgement
from schemas.topics import Topics


@dataclass
class Publisher:
    """Sends with an idempotent ``acks=all`` producer, keyed by the referral id.

    The key keeps every version of one referral (a resend, an amendment) on one partition, so
    intake sees them in the order they were sent.
    """

    topics: Topics
    producer: AIOKafkaProducer | None = None  # set while the app runs

    async def publish(self, organisation_id: str, referral_id: str, raw: bytes) -> None:
        """Send ``raw`` and wait until the broker has it (all in-sync replicas)."""
        if self.producer is None:
            raise RuntimeError("the gateway's producer is not running")
        topic = self.topics.inbound(organisation_id)
        with tracing.producing(topic) as headers:  # the referral's trace starts here
            await self.producer.send_and_wait(
                topic, raw, key=referral_id.encode(), headers=list(headers)
            )

    async def publish_answer(self, organisation_id: str, request_id: str, raw: bytes) -> None:
        """Send a check answer to the organisation's ``checks.answers`` topic, and wait."""
        if self.producer is None:
            raise RuntimeError("the gateway's producer is not running")
        topic = self.topics.check_answers(organisation_id)
        with tracing.producing(topic) as headers:
            await self.producer.send_and_wait(
                topic, raw, key=request_id.encode(), headers=list(headers)
            )

    async def publish_acknowledgement(self, local_authority: str, ack: Acknowledgement) -> None:
        """Send a school's acknowledgement to ``encompass.acks`` (keyed by council), and wait."""
        if self.producer is None:
            raise RuntimeError("the gateway's producer is not running")
        topic = self.topics.encompass_acks
        with tracing.producing(topic) as headers:
            await self.producer.send_and_wait(
                topic,
                ack.model_dump_json().encode(),
                key=local_authority.encode(),
                headers=list(headers),
            )
