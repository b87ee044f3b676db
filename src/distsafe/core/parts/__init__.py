"""The engine's components (`core.components`): the glue of each (the `Component` hooks over the
component's own module) and the registry that builds a run's components from its config."""
