def fold(text: str) -> str:
    return text.lower()
