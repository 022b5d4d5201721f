from comments.sanitize import count_links, render_comment


def test_blank_lines_make_paragraphs_and_single_newlines_breaks():
    assert render_comment("One\nline two\n\n\nSecond para") == (
        "<p>One<br>line two</p><p>Second para</p>"
    )


def test_urls_are_linked_with_nofollow_ugc_noopener():
    html = render_comment("See https://example.org/a?b=1&c=2 now")
    assert (
        '<a href="https://example.org/a?b=1&amp;c=2" rel="nofollow ugc noopener">'
        "https://example.org/a?b=1&amp;c=2</a>"
    ) in html


def test_markup_is_escaped_not_interpreted():
    html = render_comment('<b>bold</b> <a href="javascript:alert(1)">x</a> <script>1</script>')
    assert "<b>" not in html and "<script>" not in html and 'href="javascript' not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


def test_only_http_links_are_made():
    html = render_comment("javascript:alert(1) mailto:a@b.org ftp://files.example.org/x")
    assert "<a " not in html


def test_count_links_lists_the_linked_urls():
    assert count_links(render_comment("http://a.org and https://b.org")) == [
        "http://a.org",
        "https://b.org",
    ]
