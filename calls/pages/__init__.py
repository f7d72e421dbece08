"""The managers' call review pages: call list and CSV export, call detail, live calls, dashboard."""
