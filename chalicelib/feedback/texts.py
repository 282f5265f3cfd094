"""What the survey page says, in each programme language (English, Serbian Latin, Lithuanian, Slovenian, Danish)."""

from __future__ import annotations

PAGE_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "fit_check": "How is your mentoring pair going?",
        "pulse": "How is your mentoring going?",
        "closing": "Looking back on your mentoring",
        "intro": "Your answer goes to the programme coordinators. It takes a minute.",
        "rating": "How satisfied are you, from 0 (not at all) to 10 (very)?",
        "good_fit": "Is this a good fit?",
        "yes": "Yes",
        "no": "No",
        "comment": "Anything you would like the coordinators to know? (optional)",
        "thanks": "Thank you for your answer.",
        "thanks_more": "The coordinators will read it.",
        "answered": "This survey was already answered. Thank you.",
        "empty": "Please give a rating or say whether it is a good fit.",
    },
    "sr": {
        "fit_check": "Kako napreduje vaš mentorski par?",
        "pulse": "Kako teče vaše mentorstvo?",
        "closing": "Osvrt na vaše mentorstvo",
        "intro": "Vaš odgovor stiže koordinatorima programa. Potrebno je samo minut.",
        "rating": "Koliko ste zadovoljni, od 0 (nimalo) do 10 (veoma)?",
        "good_fit": "Da li vam ovaj par odgovara?",
        "yes": "Da",
        "no": "Ne",
        "comment": "Da li želite nešto da poručite koordinatorima? (nije obavezno)",
        "thanks": "Hvala vam na odgovoru.",
        "thanks_more": "Koordinatori će ga pročitati.",
        "answered": "Na ovu anketu je već odgovoreno. Hvala vam.",
        "empty": "Molimo vas da date ocenu ili kažete da li vam par odgovara.",
    },
    "lt": {
        "fit_check": "Kaip sekasi jūsų mentorystės porai?",
        "pulse": "Kaip sekasi jūsų mentorystė?",
        "closing": "Žvilgsnis atgal į jūsų mentorystę",
        "intro": "Jūsų atsakymą gaus programos koordinatoriai. Tai užtruks minutę.",
        "rating": "Kiek esate patenkinti, nuo 0 (visai ne) iki 10 (labai)?",
        "good_fit": "Ar ši pora jums tinka?",
        "yes": "Taip",
        "no": "Ne",
        "comment": "Ar norėtumėte ką nors pranešti koordinatoriams? (neprivaloma)",
        "thanks": "Ačiū už jūsų atsakymą.",
        "thanks_more": "Koordinatoriai jį perskaitys.",
        "answered": "Į šią apklausą jau atsakyta. Ačiū.",
        "empty": "Įvertinkite arba nurodykite, ar pora jums tinka.",
    },
    "sl": {
        "fit_check": "Kako napreduje vaš mentorski par?",
        "pulse": "Kako poteka vaše mentorstvo?",
        "closing": "Pogled nazaj na vaše mentorstvo",
        "intro": "Vaš odgovor prejmejo koordinatorji programa. Vzame le minuto.",
        "rating": "Kako zadovoljni ste, od 0 (sploh ne) do 10 (zelo)?",
        "good_fit": "Ali vam ta par ustreza?",
        "yes": "Da",
        "no": "Ne",
        "comment": "Bi želeli koordinatorjem še kaj sporočiti? (neobvezno)",
        "thanks": "Hvala za vaš odgovor.",
        "thanks_more": "Koordinatorji ga bodo prebrali.",
        "answered": "Na to anketo je že bilo odgovorjeno. Hvala.",
        "empty": "Prosimo, podajte oceno ali povejte, ali vam par ustreza.",
    },
    "da": {
        "fit_check": "Hvordan går det i jeres mentorpar?",
        "pulse": "Hvordan går dit mentorforløb?",
        "closing": "Et tilbageblik på dit mentorforløb",
        "intro": "Dit svar går til programmets koordinatorer. Det tager et minut.",
        "rating": "Hvor tilfreds er du, fra 0 (slet ikke) til 10 (meget)?",
        "good_fit": "Passer I godt sammen?",
        "yes": "Ja",
        "no": "Nej",
        "comment": "Er der noget, koordinatorerne bør vide? (valgfrit)",
        "thanks": "Tak for dit svar.",
        "thanks_more": "Koordinatorerne vil læse det.",
        "answered": "Denne undersøgelse er allerede besvaret. Tak.",
        "empty": "Giv venligst en vurdering, eller sig om I passer godt sammen.",
    },
}


def page_language(language: str | None) -> str:
    return language if language in PAGE_TEXTS else "en"


def page_text(language: str | None, key: str) -> str:
    return PAGE_TEXTS[page_language(language)][key]
