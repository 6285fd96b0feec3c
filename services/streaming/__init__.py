"""The consume-transform-produce loop every Front Door service runs on."""
