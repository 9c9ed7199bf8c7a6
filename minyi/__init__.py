"""minyi (民意): public-comment processing for legislative contact points."""

__version__ = "0.1.0"
