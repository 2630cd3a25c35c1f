"""`gridgov train-classifier [--evaluate CSV --text-columns A,B --label-column C]`: train the
item classifier on the platform's closed, classified cases; or, with --evaluate, print the
cross-validated accuracy of the same method on a labelled CSV beside the majority baseline."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from gridgov.core.errors import DomainError
from gridgov.grids.management.commands._common import GridCommand, read_bytes, usage_error
from gridgov.grids.textfiles import decode_csv
from gridgov.hotline import classify
from gridgov.hotline.services.suggest import train_classifier


class Command(GridCommand):
    help = "Train the text classifier that suggests catalogue items (or evaluate it on a CSV)."
    exit_rejected = ""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--evaluate", metavar="CSV")
        parser.add_argument("--text-columns", default="留言主题,留言详情")
        parser.add_argument("--label-column", default="一级分类")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["evaluate"]:
            self.evaluate(options)
            return
        try:
            model = train_classifier(by=None)
        except DomainError as exc:
            raise usage_error(exc.message) from None
        self.stdout.write(
            json.dumps(
                {
                    "model": model.pk,
                    "samples": model.samples,
                    "items": len(model.labels),
                    "cv_accuracy": model.cv_accuracy,
                    "baseline_accuracy": model.baseline_accuracy,
                    "cv_note": model.cv_note,
                },
                ensure_ascii=False,
            )
        )

    def evaluate(self, options: dict[str, Any]) -> None:
        path = options["evaluate"]
        text = decode_csv(read_bytes(path), source=path).text
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        columns = [c.strip() for c in options["text_columns"].split(",") if c.strip()]
        label = options["label_column"]
        if not rows or any(c not in rows[0] for c in [*columns, label]):
            raise usage_error(_("CSV 中缺少指定的列"))
        result = classify.cross_validate(
            [" ".join(r[c] or "" for c in columns) for r in rows], [r[label] for r in rows]
        )
        self.stdout.write(json.dumps(result.__dict__))
