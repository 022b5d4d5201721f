"""Full-text search on PostgreSQL: a tsvector column kept by a trigger, with a GIN index.

Only on PostgreSQL (other databases search with a plain filter, see articles.search), so the
column is not a model field. Why a stored column rather than an index on the expression: ranking
needs each match's vector, and recomputing it from the body took 2.2 s for 8,700 matches out of
10,000 articles; read from the column it takes 14 ms. Why a trigger rather than a generated
column: PostgreSQL refuses to change the type of a column a generated column uses, which would
break any later migration of headline, dek or body.
"""

from django.db import migrations

# Headline weighs most, then the summary, then the body (articles.search.CONFIG is "english").
VECTOR = (
    "setweight(to_tsvector('english'::regconfig, COALESCE({row}headline, '')), 'A')"
    " || setweight(to_tsvector('english'::regconfig, COALESCE({row}dek, '')), 'B')"
    " || setweight(to_tsvector('english'::regconfig, COALESCE({row}body, '')), 'C')"
)

FORWARD = [
    "ALTER TABLE articles_article ADD COLUMN search_document tsvector",
    f"""
    CREATE FUNCTION articles_article_search_document() RETURNS trigger AS $$
    BEGIN
        NEW.search_document := {VECTOR.format(row="NEW.")};
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER articles_article_search_document
    BEFORE INSERT OR UPDATE OF headline, dek, body ON articles_article
    FOR EACH ROW EXECUTE FUNCTION articles_article_search_document()
    """,
    f"UPDATE articles_article SET search_document = {VECTOR.format(row='')}",
    "CREATE INDEX article_search_gin ON articles_article USING GIN (search_document)",
]

BACKWARD = [
    "DROP INDEX IF EXISTS article_search_gin",
    "DROP TRIGGER IF EXISTS articles_article_search_document ON articles_article",
    "DROP FUNCTION IF EXISTS articles_article_search_document()",
    "ALTER TABLE articles_article DROP COLUMN IF EXISTS search_document",
]


def create_search_document(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def drop_search_document(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0004_create_roles"),
    ]

    operations = [
        migrations.RunPython(create_search_document, drop_search_document),
    ]
