"""cityops: a city operations-centre dashboard for Jiangsu (一网统管)."""

__version__ = "0.1.0"
