"""Reports: the nightly suggestion report (HTML, CSV, XLSX) and spreadsheet safety."""
