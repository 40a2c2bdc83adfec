"""The demo: `manage.py load_demo` builds a fictional world from the data files of `data/`."""
