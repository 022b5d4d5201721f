import pytest

from comments import rendering


@pytest.fixture
def renders(monkeypatch):
    """Count the comments whose own markup is rendered rather than taken from memory."""
    rendered = []
    real_render = rendering._PageMarkup.render

    def counting(self, comment, *args):
        rendered.append(comment.pk)
        return real_render(self, comment, *args)

    monkeypatch.setattr(rendering._PageMarkup, "render", counting)
    return rendered
