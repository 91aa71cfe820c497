from scratchenv.main import main

raise SystemExit(main())
