"""The doors (REST, CLI, later GraphQL) and the composition root that wires everything."""
