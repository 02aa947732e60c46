"""Every amount becomes an ExactDecimalField: still numeric(p, s) on PostgreSQL (no data
change there), TEXT in a fixed-width, order-preserving form on SQLite (apps/core/fields.py).

On SQLite the check constraints compare text, so they come off while the columns change and
the values are rewritten, then go back on with the new encoding. The values were REAL
before; they are read as Django read them (15 significant digits, rounded to the column's
places) and written exactly from there on. Reversing writes plain numbers back.
"""

from decimal import Context, Decimal

import django.core.validators
from django.db import migrations, models

import apps.core.fields
from apps.core.fields import decode_sortable, encode_sortable

# model -> {column: (max_digits, decimal_places)}, as in the models of this migration.
COLUMNS = {
    "order": {
        "quantity": (32, 12),
        "price": (28, 8),
        "notional": (28, 8),
        "fee": (28, 8),
        "cash_after": (28, 8),
    },
    "portfolio": {
        "initial_cash": (28, 8),
        "cash": (28, 8),
        "buy_fraction": (6, 4),
        "fee_rate": (8, 6),
    },
    "position": {"quantity": (32, 12), "avg_price": (28, 8), "cost": (28, 8), "fees": (28, 8)},
    "snapshot": {"cash": (28, 8), "positions_value": (28, 8), "total": (28, 8)},
    "tradelog": {
        "entry_price": (28, 8),
        "exit_price": (28, 8),
        "quantity": (32, 12),
        "pnl": (28, 8),
        "fees": (28, 8),
    },
}

CONSTRAINTS = [
    (
        "portfolio",
        models.CheckConstraint(
            condition=models.Q(("cash__gte", 0)), name="portfolio_cash_not_negative"
        ),
    ),
    (
        "portfolio",
        models.CheckConstraint(
            condition=models.Q(("buy_fraction__gt", 0), ("buy_fraction__lte", 1)),
            name="portfolio_buy_fraction_range",
        ),
    ),
    (
        "portfolio",
        models.CheckConstraint(
            condition=models.Q(("fee_rate__gte", 0), ("fee_rate__lt", Decimal("0.1"))),
            name="portfolio_fee_range",
        ),
    ),
    (
        "position",
        models.CheckConstraint(
            condition=models.Q(("quantity__gt", 0)), name="position_quantity_positive"
        ),
    ),
]

_REAL = Context(prec=15)


def _legacy(value) -> Decimal:
    """A value as the REAL column held it (the table copy turned it into text)."""
    if isinstance(value, float):
        return _REAL.create_decimal_from_float(value)
    return _REAL.create_decimal(str(value))


def _rewrite(apps, schema_editor, convert) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    for model_name, columns in COLUMNS.items():
        table = apps.get_model("portfolio", model_name)._meta.db_table
        names = list(columns)
        with schema_editor.connection.cursor() as cursor:
            quoted = [schema_editor.quote_name(n) for n in names]
            cursor.execute(f"SELECT id, {', '.join(quoted)} FROM {schema_editor.quote_name(table)}")
            rows = cursor.fetchall()
            sets = ", ".join(f"{q} = %s" for q in quoted)
            for row in rows:
                values = [
                    None if v is None else convert(v, *columns[n])
                    for n, v in zip(names, row[1:], strict=True)
                ]
                cursor.execute(
                    f"UPDATE {schema_editor.quote_name(table)} SET {sets} WHERE id = %s",
                    [*values, row[0]],
                )


def to_exact(apps, schema_editor) -> None:
    _rewrite(
        apps,
        schema_editor,
        lambda v, digits, places: encode_sortable(_legacy(v), digits, places),
    )


def to_plain(apps, schema_editor) -> None:
    _rewrite(
        apps,
        schema_editor,
        lambda v, digits, places: str(decode_sortable(v, digits, places)),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("portfolio", "0002_order_agent_order_decision_position_agent_and_more"),
    ]

    operations = [
        *[
            migrations.RemoveConstraint(model_name=model, name=constraint.name)
            for model, constraint in CONSTRAINTS
        ],
        migrations.AlterField(
            model_name="order",
            name="cash_after",
            field=apps.core.fields.ExactDecimalField(decimal_places=8, max_digits=28),
        ),
        migrations.AlterField(
            model_name="order",
            name="fee",
            field=apps.core.fields.ExactDecimalField(decimal_places=8, max_digits=28),
        ),
        migrations.AlterField(
            model_name="order",
            name="notional",
            field=apps.core.fields.ExactDecimalField(
                decimal_places=8, help_text="quantity x price", max_digits=28
            ),
        ),
        migrations.AlterField(
            model_name="order",
            name="price",
            field=apps.core.fields.ExactDecimalField(decimal_places=8, max_digits=28),
        ),
        migrations.AlterField(
            model_name="order",
            name="quantity",
            field=apps.core.fields.ExactDecimalField(decimal_places=12, max_digits=32),
        ),
        migrations.AlterField(
            model_name="portfolio",
            name="buy_fraction",
            field=apps.core.fields.ExactDecimalField(
                decimal_places=4,
                default=Decimal("0.1000"),
                help_text="share of cash a buy spends (0.10 = 10%)",
                max_digits=6,
            ),
        ),
        migrations.AlterField(
            model_name="portfolio",
            name="cash",
            field=apps.core.fields.ExactDecimalField(
                decimal_places=8, default=Decimal("10000"), max_digits=28
            ),
        ),
        migrations.AlterField(
            model_name="portfolio",
            name="fee_rate",
            field=apps.core.fields.ExactDecimalField(
                decimal_places=6, default=Decimal("0.001000"), max_digits=8
            ),
        ),
        migrations.AlterField(
            model_name="portfolio",
            name="initial_cash",
            field=apps.core.fields.ExactDecimalField(
                decimal_places=8,
                default=Decimal("10000"),
                max_digits=28,
                validators=[
                    django.core.validators.MinValueValidator(Decimal("1E-8")),
                    django.core.validators.MaxValueValidator(
                        Decimal("999999999999999999.99999999")
                    ),
                ],
            ),
        ),
        migrations.AlterField(
            model_name="position",
            name="avg_price",
            field=apps.core.fields.ExactDecimalField(
                decimal_places=8, help_text="average entry price (before fees)", max_digits=28
            ),
        ),
        migrations.AlterField(
            model_name="position",
            name="cost",
            field=apps.core.fields.ExactDecimalField(
                decimal_places=8, help_text="cash spent on it, fees included", max_digits=28
            ),
        ),
        migrations.AlterField(
            model_name="position",
            name="fees",
            field=apps.core.fields.ExactDecimalField(
                decimal_places=8, default=Decimal("0"), max_digits=28
            ),
        ),
        migrations.AlterField(
            model_name="position",
            name="quantity",
            field=apps.core.fields.ExactDecimalField(decimal_places=12, max_digits=32),
        ),
        migrations.AlterField(
            model_name="snapshot",
            name="cash",
            field=apps.core.fields.ExactDecimalField(decimal_places=8, max_digits=28),
        ),
        migrations.AlterField(
            model_name="snapshot",
            name="positions_value",
            field=apps.core.fields.ExactDecimalField(decimal_places=8, max_digits=28),
        ),
        migrations.AlterField(
            model_name="snapshot",
            name="total",
            field=apps.core.fields.ExactDecimalField(decimal_places=8, max_digits=28),
        ),
        migrations.AlterField(
            model_name="tradelog",
            name="entry_price",
            field=apps.core.fields.ExactDecimalField(decimal_places=8, max_digits=28),
        ),
        migrations.AlterField(
            model_name="tradelog",
            name="exit_price",
            field=apps.core.fields.ExactDecimalField(decimal_places=8, max_digits=28),
        ),
        migrations.AlterField(
            model_name="tradelog",
            name="fees",
            field=apps.core.fields.ExactDecimalField(decimal_places=8, max_digits=28),
        ),
        migrations.AlterField(
            model_name="tradelog",
            name="pnl",
            field=apps.core.fields.ExactDecimalField(decimal_places=8, max_digits=28),
        ),
        migrations.AlterField(
            model_name="tradelog",
            name="quantity",
            field=apps.core.fields.ExactDecimalField(decimal_places=12, max_digits=32),
        ),
        migrations.RunPython(to_exact, to_plain),
        *[
            migrations.AddConstraint(model_name=model, constraint=constraint)
            for model, constraint in CONSTRAINTS
        ],
    ]
