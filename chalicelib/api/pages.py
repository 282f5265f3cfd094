"""Small HTML pages for people who click a one-click link: escaped, no JavaScript, in their language.

Every text that reaches the page goes through ``html.escape``, whatever its origin (a
feature's wording, a person's name, a coordinator's programme title), and the page's
Content-Security-Policy forbids scripts altogether, so nothing in it can run.
"""

from __future__ import annotations

from html import escape

from chalicelib.services.links import Page

PAGE_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    # The token is in the URL: no page we show may hand it to another site.
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
}

# What every link page may have to say, whatever the feature behind it.
COMMON_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "invalid": "This link is not valid.",
        "expired": "This link has expired.",
        "used": "This link has already been used.",
        "failed": "This could not be done. Please contact your programme coordinator.",
        "send": "Send",
    },
    "sr": {
        "invalid": "Ovaj link nije važeći.",
        "expired": "Ovaj link je istekao.",
        "used": "Ovaj link je već iskorišćen.",
        "failed": "Ovo nije moglo da se uradi. Obratite se koordinatoru programa.",
        "send": "Pošalji",
    },
    "lt": {
        "invalid": "Ši nuoroda negalioja.",
        "expired": "Šios nuorodos galiojimas baigėsi.",
        "used": "Ši nuoroda jau panaudota.",
        "failed": "Nepavyko to padaryti. Kreipkitės į programos koordinatorių.",
        "send": "Siųsti",
    },
    "sl": {
        "invalid": "Ta povezava ni veljavna.",
        "expired": "Ta povezava je potekla.",
        "used": "Ta povezava je že bila uporabljena.",
        "failed": "Tega ni bilo mogoče storiti. Obrnite se na koordinatorja programa.",
        "send": "Pošlji",
    },
    "da": {
        "invalid": "Dette link er ikke gyldigt.",
        "expired": "Dette link er udløbet.",
        "used": "Dette link er allerede brugt.",
        "failed": "Det kunne ikke lade sig gøre. Kontakt programmets koordinator.",
        "send": "Send",
    },
}


def common_text(language: str | None, key: str) -> str:
    return COMMON_TEXTS.get(language or "en", COMMON_TEXTS["en"])[key]


def message_page(language: str | None, key: str) -> Page:
    """A page that only says one of the common texts."""
    known = language if language in COMMON_TEXTS else "en"
    return Page(language=known, title=common_text(known, key))


_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;line-height:1.5}"
    "button{font-size:1rem;padding:.5rem 1rem;margin:.25rem .5rem .25rem 0}"
    "fieldset{border:none;padding:0;margin:1rem 0}textarea{width:100%;min-height:6rem}"
)


def render(page: Page, *, form_action: str | None = None) -> str:
    """The page as a complete HTML document; with ``form_action``, its questions and choices post there."""
    parts = [
        "<!doctype html>",
        f'<html lang="{escape(page.language)}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(page.title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(page.title)}</h1>",
    ]
    parts.extend(f"<p>{escape(paragraph)}</p>" for paragraph in page.paragraphs)
    if form_action is not None and (page.questions or page.choices):
        parts.append(f'<form method="post" action="{escape(form_action)}">')
        for question in page.questions:
            parts.append(f"<fieldset><legend>{escape(question.label)}</legend>")
            if question.options:
                for value, label in question.options:
                    parts.append(
                        f'<label><input type="radio" name="{escape(question.name)}" value="{escape(value)}"> '
                        f"{escape(label)}</label> "
                    )
            else:
                parts.append(
                    f'<textarea name="{escape(question.name)}" maxlength="{question.max_length}"'
                    f' aria-label="{escape(question.label)}"></textarea>'
                )
            parts.append("</fieldset>")
        choices = page.choices or ()
        if not choices:
            parts.append(f'<button type="submit">{escape(common_text(page.language, "send"))}</button>')
        for choice in choices:
            parts.append(
                f'<button type="submit" name="{escape(choice.name)}" value="{escape(choice.value)}">'
                f"{escape(choice.label)}</button>"
            )
        parts.append("</form>")
    parts.append("</body></html>")
    return "".join(parts)
