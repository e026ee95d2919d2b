"""KoKoMa's own behaviour, written as plugins through the same hooks a municipality uses."""
