"""`gridgov`: the operator's command line. Each sub-command is a Django management command;
hyphenated names (`import-grids`) map to their underscored modules (`import_grids`)."""

from __future__ import annotations

import os
import sys

OPERATOR_COMMANDS = """\
gridgov: 网格化服务管理平台 (grid-based local governance)

Operator commands (all honour DATABASE_URL; SQLite file under var/ by default):
  serve [--port 8000] [--workers 2]     migrate and serve the platform
  migrate                               apply database migrations
  demo [--scale town|district] [--no-serve] [--reset] [--no-cases]
                                        build the deterministic demo town, then serve
  import-regions FILE.csv [FILE.csv …] [--dry-run]
                                        import administrative divisions
  import-grids FILE.geojson [--dry-run] [--repair] [--create-levels]
                                        import or update grids
  export-grids [CODE]                   print grids as a GeoJSON FeatureCollection
  check-coverage [CODE] [--json] [--tolerance M2]
                                        gaps, overlaps and stick-outs (exit 1 on faults, 2 on usage errors)
  locate LON LAT [--crs wgs84|gcj02|bd09] | locate --csv FILE
                                        resolve points to unit grids
  load-calendar YEAR --from-file F.csv | --from-library [--replace]
                                        load a year of the working-day calendar
  scheduler [--once|--list]             enqueue the periodic jobs (deadline sweeps, retries)
  run-tasks                             run the background task worker
  scrub-case-photos                     strip EXIF (GPS, device) from photos stored earlier
  open311-key create NAME [--scope GRID_CODE] | list | revoke NAME
                                        API keys of outside Open311 apps
  import-hotline FILE --source NAME [--mapping M.toml] [--dry-run] [--strict] [--json]
  import-hotline FILE --write-mapping M.toml
                                        import a hotline/inspection export by mapping
  hotline-kpis --source NAME --month YYYY-MM [--json]
                                        hotline KPIs of the records received in a month
  crosscheck --from YYYY-MM-DD --to YYYY-MM-DD [--source NAME] [--json]
                                        run a numbered back-tracing round (倒查)
  train-classifier [--evaluate FILE.csv [--text-columns A,B] [--label-column C]]
                                        train the catalogue-item suggester on closed cases,
                                        or cross-validate it on a labelled file
  summary --unit town|village|department --code CODE --period YYYY|YYYY-Qn|YYYY-MM
          -o FILE.docx|FILE.pdf [--user USERNAME]
                                        a work summary (工作总结) as Word or PDF
  summary --write-template FILE.docx    the shipped Word template, to edit and upload
  backup FILE                           database snapshot, media and manifest in one archive
  restore FILE                          a backup into an empty database (checksums, schema checked)
  import-track FILE --user USERNAME [--crs wgs84|gcj02|bd09]
                                        import a GPS track (CSV time,lon,lat[,accuracy] or GeoLife .plt)
                                        as patrols, one per day and gap (exit 1 on bad rows)
  patrol-summary --user USERNAME --date YYYY-MM-DD [--json]
                                        mileage, duration, stay points, coverage, key points of a day
  assess --scheme CODE --month YYYY-MM [--unit worker|grid|village|town|department] [--json]
         [--publish --by USER]          monthly assessment (published runs print frozen)
  ledger-template KIND -o FILE.xlsx     empty registry ledger (KIND: persons, households)
  import-ledger KIND FILE [--dry-run]   import a ledger (.xlsx/.xls/CSV), all or nothing
  export-ledger KIND [GRID_CODE] -o FILE.xlsx [--clear REASON]
                                        export a ledger, masked unless a logged reason is given
  rotate-keys                           re-encrypt personal data under the newest field key
  stats-snapshot [--month YYYY-MM]      Parquet snapshot of finished months for the statistics
  check                                 Django's system checks
  help [COMMAND]                        this text, or a command's own options

Every Django management command also works (createsuperuser, shell, …).
"""


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    if not args or args[0] in {"-h", "--help"} or args == ["help"]:
        print(OPERATOR_COMMANDS)
        return
    from django.core.management import execute_from_command_line

    command = args[0].replace("-", "_")
    if command == "help" and len(args) > 1:
        execute_from_command_line(["gridgov", "help", args[1].replace("-", "_")])
        return
    execute_from_command_line(["gridgov", command, *args[1:]])


if __name__ == "__main__":
    main()
