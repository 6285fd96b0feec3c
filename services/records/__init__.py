"""Records: projects the front door's topics into the records database, exactly once."""
