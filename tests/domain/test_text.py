"""Display safety and search keys."""

from backoffice_tui.domain.text import search_key, visible_text


def test_control_characters_become_visible() -> None:
    shown = visible_text("a\x1b[31mred\x07\x1b]0;title\x07\x9b2J\x7f")
    assert "\x1b" not in shown and "\x07" not in shown and "\x9b" not in shown
    assert shown == "a\u241b[31mred\u2407\u241b]0;title\u2407\ufffd2J\u2421"


def test_markup_is_left_alone_and_lines_are_joined() -> None:
    assert visible_text("[bold red]X[/]") == "[bold red]X[/]"
    assert visible_text("one\ntwo\tthree") == "one two three"
    assert visible_text(None) == ""
    assert visible_text(42) == "42"


def test_search_key_folds_width_case_and_kana() -> None:
    assert search_key("ＡＢＣ１２３") == search_key("abc123") == "abc123"
    assert search_key("ヤマダ") == search_key("やまだ")
    assert search_key("C0001", None, "やまだ") == "c0001 やまだ"
