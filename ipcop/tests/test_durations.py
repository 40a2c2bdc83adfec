from ipcop.lib.durations import hours_minutes


def test_hours_minutes():
    assert hours_minutes(0) == "0:00"
    assert hours_minutes(None) == "0:00"
    assert hours_minutes(5) == "0:05"
    assert hours_minutes(95) == "1:35"
    assert hours_minutes(60 * 125 + 1) == "125:01"
