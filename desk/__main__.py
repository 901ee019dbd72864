import os

from desk.cli import main

# The database it creates holds customers' data: owner only, as the app's own files (a stricter
# umask is kept).
os.umask(os.umask(0o077) | 0o077)
raise SystemExit(main())
