"""What the two typed-answer types share: one text field, at most MAX_TEXT characters."""
from lms.questions.base import MAX_TEXT, QuestionType, ResponseInvalid


class TypedAnswer(QuestionType):
    """An answer typed into one text field; the response is the text as typed (trimmed)."""

    def control(self, name, question, shown, response):
        return {"text": response or ""}

    def parse(self, shown, values):
        values = [v for v in values if v is not None]
        if len(values) > 1:
            raise ResponseInvalid("one text answer")
        text = (values[0] if values else "").strip()
        if len(text) > MAX_TEXT:
            raise ResponseInvalid(f"at most {MAX_TEXT} characters")
        return text or None
