"""Sandbox boundaries (seed 003): the permeability model (`boundaries.permeability`)."""
