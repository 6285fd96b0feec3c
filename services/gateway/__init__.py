"""The gateway: an HTTPS API and referral forms for partners without a Kafka client."""
