"""The dashboard and its server-side SVG charts."""
