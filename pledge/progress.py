"""A text progress bar for long commands (key rotation, imports): ``[#####-----] 50/100 50%``."""


def progress_bar(label: str, stream, width: int = 30):
    """A callable ``show(done, total)`` that redraws one line of ``stream``."""

    def show(done: int, total: int) -> None:
        filled = width if not total else int(width * done / total)
        percent = 100 if not total else int(100 * done / total)
        bar = "#" * filled + "-" * (width - filled)
        stream.write(f"\r{label:<28} [{bar}] {done}/{total} {percent}%")
        if done >= total:
            stream.write("\n")
        stream.flush()

    return show
