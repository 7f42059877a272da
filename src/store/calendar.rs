//! The working-day calendar in the database: replaced as a whole on import, loaded at start.

use sqlx::PgPool;

use crate::domain::calendar::WorkingCalendar;

/// The calendar shipped with normledger: the State Council's notices, 2015–2026.
pub const SHIPPED: &str = include_str!("../../data/calendar/cn-holidays.json");

/// Replaces the stored calendar with `cal` in one transaction.
pub async fn import(pool: &PgPool, cal: &WorkingCalendar, source: &str) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM calendar_days")
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM calendar_years")
        .execute(&mut *tx)
        .await?;
    let years: Vec<i32> = cal.years.iter().copied().collect();
    sqlx::query("INSERT INTO calendar_years (year, source) SELECT unnest($1::int[]), $2")
        .bind(&years)
        .bind(source)
        .execute(&mut *tx)
        .await?;
    let (days, kinds): (Vec<chrono::NaiveDate>, Vec<&str>) = cal
        .off
        .iter()
        .map(|d| (*d, "OFF"))
        .chain(cal.workdays.iter().map(|d| (*d, "WORKDAY")))
        .unzip();
    sqlx::query(
        "INSERT INTO calendar_days (day, kind) SELECT * FROM unnest($1::date[], $2::text[])",
    )
    .bind(&days)
    .bind(&kinds)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// The stored calendar; the shipped one is imported first when none is stored.
pub async fn load(pool: &PgPool) -> Result<WorkingCalendar, crate::store::StoreError> {
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM calendar_years")
        .fetch_one(pool)
        .await?;
    if stored == 0 {
        let shipped = WorkingCalendar::from_notices_json(SHIPPED)
            .map_err(|e| serde_json::Error::io(std::io::Error::other(e.to_string())))?;
        import(pool, &shipped, "shipped: cn-holidays.json").await?;
    }
    let mut cal = WorkingCalendar::default();
    let years: Vec<i32> = sqlx::query_scalar("SELECT year FROM calendar_years")
        .fetch_all(pool)
        .await?;
    cal.years.extend(years);
    #[derive(sqlx::FromRow)]
    struct Day {
        day: chrono::NaiveDate,
        kind: String,
    }
    let days: Vec<Day> = sqlx::query_as("SELECT day, kind FROM calendar_days")
        .fetch_all(pool)
        .await?;
    for Day { day, kind } in days {
        if kind == "OFF" {
            cal.off.insert(day);
        } else {
            cal.workdays.insert(day);
        }
    }
    Ok(cal)
}
