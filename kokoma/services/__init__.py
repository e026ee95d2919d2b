"""The rules of KoKoMa. Views parse and render; services check, change and commit."""
