from lrtui.cli import main

raise SystemExit(main())
