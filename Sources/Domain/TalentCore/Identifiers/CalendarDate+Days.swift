extension CalendarDate {
    /// Days since 0001-01-01 of the proleptic Gregorian calendar (0 for that day).
    var dayNumber: Int {
        let y = year - 1
        let beforeYear = y * 365 + y / 4 - y / 100 + y / 400
        let beforeMonth = (1..<month).reduce(0) { $0 + Self.daysIn(month: $1, year: year) }
        return beforeYear + beforeMonth + day - 1
    }

    /// Whole days from this date to `other`: positive when `other` is later, 0 for the same day.
    public func days(until other: CalendarDate) -> Int { other.dayNumber - dayNumber }
}
