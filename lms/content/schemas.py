"""JSON Schemas of the content files: keys, types and allowed values (unknown keys are errors).

A question's type-specific keys come from its type (lms.questions): each type gives its clause.
"""
from lms.questions import QUESTION_TYPES, records

TOPICS = [
    "agreement", "immigration-law", "civil-rights", "racial-profiling", "intercultural",
    "use-of-force", "consular", "outreach", "liability", "custody", "task-force", "warrant-service", "annex",
]
DIFFICULTIES = ["easy", "medium", "hard"]

_text = {"type": "string", "minLength": 1}
_slug = {"type": "string", "pattern": r"^[a-z0-9][a-z0-9-]*$"}
_objective_id = {"type": "string", "pattern": r"^[A-Z]{2,4}-[0-9]+(\.[0-9]+)*$"}
_date = {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}

MODULE = {
    "type": "object",
    "required": ["id", "title", "topic", "minutes", "objectives", "sources"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": r"^[a-z0-9-]+/[a-z0-9-]+$"},
        "title": _text,
        "topic": {"enum": TOPICS},
        "minutes": {"type": "integer", "minimum": 1, "maximum": 600},
        "objectives": records({"id": _objective_id, "text": _text}, required=["id", "text"]),
        "sources": {"type": "array", "minItems": 1, "items": _text},
        "annex": {"type": "boolean"},
        "reviewed": _date,
        "reviewed_by": _text,
    },
}

TRACK = {
    "type": "object",
    "required": ["id", "title", "audience", "weeks", "certification", "schedule"],
    "additionalProperties": False,
    "properties": {
        "id": _slug,
        "title": _text,
        "audience": _text,
        "weeks": {"type": "integer", "minimum": 1, "maximum": 52},
        "length": {"enum": ["weeks", "hours"]},
        "no_repeats_across_exams": {"type": "boolean"},
        "hours": {
            "type": "object",
            "required": ["online", "classroom"],
            "additionalProperties": False,
            "properties": {
                "online": {"type": "number", "minimum": 0, "maximum": 2000},
                "classroom": {"type": "number", "minimum": 0, "maximum": 2000},
            },
        },
        "sample": {"type": "boolean"},
        # The share of the classroom hours a trainee must attend to be certified.
        "attendance": {
            "type": "object",
            "required": ["required_percent"],
            "additionalProperties": False,
            "properties": {"required_percent": {"type": "number", "exclusiveMinimum": 0, "maximum": 100}},
        },
        "description": {"type": "string"},
        "refresher_of": {"anyOf": [_slug, {"type": "null"}]},
        "certification": {
            "type": "object",
            "required": ["title", "validity_years"],
            "additionalProperties": False,
            "properties": {
                "title": _text,
                "validity_years": {"type": "integer", "minimum": 1, "maximum": 10},
            },
        },
        "schedule": records({
            "week": {"type": "integer", "minimum": 1},
            "title": _text,
            "modules": {"type": "array", "items": _text},
            "exams": {"type": "array", "items": _slug},
            "exercises": {"type": "array", "items": _slug},
        }, required=["week", "title"]),
    },
}

QUESTION = {
    "type": "object",
    "required": ["id", "type", "objective", "difficulty", "stem", "rationale", "source"],
    "properties": {
        "id": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9-]*$"},
        "type": {"enum": list(QUESTION_TYPES)},
        "objective": _objective_id,
        "difficulty": {"enum": DIFFICULTIES},
        "status": {"enum": ["active", "retired"]},
        "family": _slug,
        "stem": _text,
        "rationale": _text,
        "source": _text,
    },
    "allOf": [kind.schema() for kind in QUESTION_TYPES.values()],
    "unevaluatedProperties": False,
}

BANK = {
    "type": "object",
    "required": ["id", "title", "questions"],
    "additionalProperties": False,
    "properties": {
        "id": _slug,
        "title": _text,
        "description": {"type": "string"},
        "questions": {"type": "array", "minItems": 1, "items": QUESTION},
    },
}

# A bank's own values, before its questions: what the browser's "New question bank" form makes (derived from
# BANK, so the rules stay in one place; a bank file still needs at least one question).
BANK_HEADER = {**BANK, "required": [k for k in BANK["required"] if k != "questions"],
               "properties": {k: v for k, v in BANK["properties"].items() if k != "questions"}}

EXAM = {
    "type": "object",
    "required": [
        "id", "title", "pass_mark", "time_limit_minutes", "attempts", "draw",
    ],
    "additionalProperties": False,
    "properties": {
        "id": _slug,
        "title": _text,
        "description": {"type": "string"},
        "pass_mark": {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
        "time_limit_minutes": {"type": "integer", "minimum": 1, "maximum": 600},
        "attempts": {"type": "integer", "minimum": 1, "maximum": 20},
        "cooldown_hours": {"type": "number", "minimum": 0},
        "shuffle_questions": {"type": "boolean"},
        "shuffle_choices": {"type": "boolean"},
        "navigation": {"enum": ["free", "forward"]},
        "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
        "no_repeats": {"type": "boolean"},
        "review": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "show": {"enum": ["score", "wrong", "answers"]},
                "when": {"enum": ["after_submit", "after_close"]},
            },
        },
        "standard_setting": {
            "type": "object",
            "required": ["method", "date", "raters", "ratings", "cut"],
            "additionalProperties": False,
            "properties": {
                "method": {"const": "modified-angoff"},
                "date": _date,
                "note": _text,
                "raters": {"type": "array", "minItems": 1, "items": _text},
                "ratings": {
                    "type": "object",
                    "minProperties": 1,
                    "additionalProperties": {
                        "type": "array", "minItems": 1, "items": {"type": "number", "minimum": 0, "maximum": 1},
                    },
                },
                "cut": {"type": "number", "minimum": 0, "maximum": 100},
            },
        },
        "draw": records({
            "bank": _slug,
            "objective": _objective_id,
            "difficulty": {"enum": DIFFICULTIES},
            "count": {"type": "integer", "minimum": 1},
        }, required=["bank", "count"]),
    },
}

_level = {
    "type": "object",
    "required": ["points", "label", "descriptor"],
    "additionalProperties": False,
    "properties": {"points": {"type": "number", "minimum": 0, "maximum": 100}, "label": _text, "descriptor": _text},
}

EXERCISE = {
    "type": "object",
    "required": ["id", "title", "mode", "instructions", "rubric", "pass", "sources"],
    "additionalProperties": False,
    "properties": {
        "id": _slug,
        "title": _text,
        "mode": {"enum": ["written", "observed"]},
        "instructions": _text,
        "sources": {"type": "array", "minItems": 1, "items": _text},
        "rubric": records({
            "id": _slug,
            "title": _text,
            "minimum": {"type": "number", "minimum": 0},
            "levels": {"type": "array", "minItems": 2, "items": _level},
        }, required=["id", "title", "levels"]),
        "pass": {
            "type": "object",
            "required": ["total"],
            "additionalProperties": False,
            "properties": {"total": {"type": "number", "minimum": 0}},
        },
    },
}
