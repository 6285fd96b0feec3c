"""Front Door's public contract: message models, topic registry and generated JSON Schemas."""
