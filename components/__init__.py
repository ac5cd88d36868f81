"""Pure component builders: data in, Dash components out; no queries, no callbacks."""
