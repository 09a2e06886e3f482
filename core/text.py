import unicodedata


def fold(text: str) -> str:
    """Lower-case ASCII without Vietnamese marks: "Nguyễn Đức" -> "nguyen duc". Search
    compares folded text, so "nguyen van a" finds "Nguyễn Văn A"."""
    text = (text or "").replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return " ".join("".join(c for c in decomposed if unicodedata.category(c) != "Mn").lower().split())
