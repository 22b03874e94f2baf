"""CRM: customers from EVO or a spreadsheet, Brazilian phone rules, and the crossmatch."""
