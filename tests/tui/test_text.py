"""Cells are cut by display width: wide characters line up."""

from rich.cells import cell_len

from backoffice_tui.tui.text import fit, plain


def test_fit_pads_and_cuts_by_cells() -> None:
    assert fit("abc", 5) == "abc  "
    assert fit("株式会社山田", 7) == "株式会…"
    assert cell_len(fit("株式会社山田", 7)) == 7
    assert fit("株式会社山田", 6) == "株式 …"  # a wide character never straddles the edge
    assert cell_len(fit("株式会社山田", 6)) == 6
    assert fit("abcdef", 4, "~") == "abc~"
    assert fit("x", 0) == ""


def test_plain_never_parses_markup() -> None:
    content = plain("[bold]x[/bold] \x1b[31m")
    assert content.plain == "[bold]x[/bold] ␛[31m"
    assert not content.spans


async def test_no_color_is_honoured(console, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("NO_COLOR", "1")
    app = console()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.no_color
        svg = app.export_screenshot()
    assert "#5fa8d3" not in svg.lower()  # the dark theme's primary colour is not used
