from rasa_launcher.command import main

raise SystemExit(main())
