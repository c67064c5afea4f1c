#!/usr/bin/env python3
"""Generate the flight-series fixtures: the same simulated flight under English and German
column names, as OpenRocket 24.12 writes them.

Run from anywhere:  python3 testdata/make_series.py

Inputs (committed): minimal.ork (the design around the branch).
Outputs (committed, deterministic; re-running gives byte-identical files):

  series-english.ork   minimal.ork (creator OpenRocket 24.12) whose databranch has the 58 columns
                       of OpenRocket 24.12 with their English names and ~750 rows of a simple
                       simulated flight (burn, coast, apogee, parachute, landing), with its events
  series-german.ork    the same bytes, but the column names as OpenRocket 24.12 shows them in
                       German (messages_de.properties; names it does not translate stay English)
                       and the branch named "Hauptstufe"

The flight is a point mass: 20 N for 1.5 s on 0.12 kg, quadratic drag, a parachute opened one
second after apogee. Values are written with at most 4 significant digits, as OpenRocket does;
stability is NaN until the rocket clears the rod, as in OpenRocket's own rows.
"""

import math
import os

HERE = os.path.dirname(os.path.abspath(__file__))

ENGLISH = (
    "Time,Altitude,Altitude above sea level,Vertical velocity,Total velocity,Vertical acceleration,"
    "Total acceleration,Position East of launch,Position North of launch,Lateral distance,"
    "Lateral direction,Lateral velocity,Lateral acceleration,Latitude,Longitude,Angle of attack,"
    "Roll rate,Pitch rate,Yaw rate,Vertical orientation (zenith),Lateral orientation (azimuth),Mass,"
    "Motor mass,Longitudinal moment of inertia,Rotational moment of inertia,"
    "Gravitational acceleration,CP location,CG location,Stability margin calibers,Thrust,"
    "Thrust-to-weight ratio,Drag force,Drag coefficient,Friction drag coefficient,"
    "Pressure drag coefficient,Base drag coefficient,Axial drag coefficient,"
    "Normal force coefficient,Pitch moment coefficient,Yaw moment coefficient,"
    "Side force coefficient,Roll moment coefficient,Roll forcing coefficient,"
    "Roll damping coefficient,Pitch damping coefficient,Wind velocity,Wind direction,"
    "Air temperature,Air pressure,Air density,Speed of sound,Mach number,Reynolds number,"
    "Reference length,Reference area,Simulation time step,Computation time,Coriolis acceleration"
).split(",")

GERMAN = (
    "Zeit,Höhe,Altitude above sea level,Vertikalgeschwindigkeit,Gesamtgeschwindigkeit,"
    "Vertikalbeschleunigung,Gesamtbeschleunigung,Position East of launch,Position North of launch,"
    "Lateral distance,Lateral direction,Lateral velocity,Lateral acceleration,Breitengrad,"
    "Längengrad,Angriffswinkel,Rollrate,Nickrate,Gierrate,Vertical orientation (zenith),"
    "Lateral orientation (azimuth),Masse,Motor mass,Longitudinal moment of inertia,"
    "Rotational moment of inertia,Gravitational acceleration,Position vom CP,Position vom CG,"
    "Stabilität in Kalibern,Schub,Thrust-to-weight ratio,Luftwiderstandskraft,"
    "Luftwiderstandskoeffizient,Reibungskoeffizient,Pressure drag coefficient,"
    "Base drag coefficient,Axial drag coefficient,Normal force coefficient,"
    "Pitch moment coefficient,Yaw moment coefficient,Side force coefficient,"
    "Roll moment coefficient,Roll forcing coefficient,Roll damping coefficient,"
    "Pitch damping coefficient,Windgeschwindigkeit,Wind direction,Lufttemperatur,Luftdruck,"
    "Air density,Schallgeschwindigkeit,Machzahl,Reynoldszahl,Referenzlänge,Referenzfläche,"
    "Simulationsintervall,Berechnnungszeit,Coriolis-Beschleunigung"
).split(",")

assert len(ENGLISH) == len(GERMAN) == 58


def g4(v):
    """At most 4 significant digits, compact, as OpenRocket's TextUtil writes doubles."""
    if isinstance(v, float) and math.isnan(v):
        return "NaN"
    if v == 0:
        return "0"
    s = "%.4g" % v
    if "e" in s:
        mant, exp = s.split("e")
        return "%se%d" % (mant, int(exp))
    return s


def flight():
    dt, mass, thrust_n, burn = 0.1, 0.12, 20.0, 1.5
    k_body, k_chute, g = 0.0004, 0.02, 9.81
    t = alt = vv = east = 0.0
    rows, events = [], [("launch", 0.0), ("ignition", 0.0), ("liftoff", 0.0)]
    cleared = apogee = deployed = False
    while True:
        thrust = thrust_n if t < burn else 0.0
        k = k_chute if deployed else k_body
        drag = k * vv * abs(vv)
        acc = (thrust - drag) / mass - g
        if alt <= 0 and vv <= 0 and thrust <= mass * g and t > 0:
            acc = 0.0
        east = 0.8 * t
        stability = float("nan") if not cleared else 2.1 - 0.1 * min(t, 3.0)
        total_v = math.hypot(vv, 0.8)
        rows.append([t, alt, vv, total_v, acc, abs(acc), east, stability, thrust, total_v / 340.3])
        if not cleared and alt >= 1.0:
            cleared = True
            events.append(("launchrod", round(t, 3)))
        if t < burn <= t + dt:
            events.append(("burnout", burn))
        if not apogee and t > burn and vv <= 0:
            apogee = True
            apogee_t = t
            events.append(("apogee", round(t, 3)))
        if apogee and not deployed and t >= apogee_t + 1.0:
            deployed = True
            events.append(("ejectioncharge", round(t, 3)))
            events.append(("recoverydevicedeployment", round(t + 0.001, 3)))
        if t > burn and alt <= 0:
            events.append(("groundhit", round(t, 3)))
            events.append(("simulationend", round(t, 3)))
            return rows, events
        vv += acc * dt
        alt = max(0.0, alt + vv * dt) if t < burn else alt + vv * dt
        t = round(t + dt, 6)


def branch(names, branch_name, rows, events):
    out = ['        <databranch name="%s" types="%s">' % (branch_name, ",".join(names))]
    for kind, time in events:
        out.append('          <event time="%s" type="%s"/>' % (g4(time), kind))
    for t, alt, vv, total_v, acc, tacc, east, stab, thrust, mach in rows:
        values = [0.0] * 58
        values[0], values[1], values[2] = t, alt, alt + 100.0
        values[3], values[4], values[5], values[6] = vv, total_v, acc, tacc
        values[7], values[8], values[9] = east, 0.0, east
        values[13], values[14] = 45.0, 0.0
        values[21], values[22] = 0.12 - 0.02 * min(t, 1.5) / 1.5, 0.03 - 0.02 * min(t, 1.5) / 1.5
        values[25], values[26], values[27] = 9.806, 0.21, 0.17
        values[28], values[29] = stab, thrust
        values[47], values[48], values[49], values[50] = 288.15, 1.013e5, 1.225, 340.3
        values[51], values[53], values[55] = mach, 0.025, 0.05
        out.append("          <datapoint>%s</datapoint>" % ",".join(g4(v) for v in values))
    out.append("        </databranch>")
    return "\n".join(out)


def main():
    base = open(os.path.join(HERE, "minimal.ork"), encoding="utf-8").read()
    base = base.replace('creator="OpenRocket 23.09"', 'creator="OpenRocket 24.12"', 1)
    start = base.index("        <databranch")
    end = base.index("</databranch>") + len("</databranch>")
    rows, events = flight()
    apogee = max(r[1] for r in rows)
    for name, names, branch_name in [
        ("series-english.ork", ENGLISH, "Sustainer"),
        ("series-german.ork", GERMAN, "Hauptstufe"),
    ]:
        text = base[:start] + branch(names, branch_name, rows, events) + base[end:]
        text = text.replace('maxaltitude="123.4"', 'maxaltitude="%s"' % g4(apogee), 1)
        with open(os.path.join(HERE, name), "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    print("%d rows, apogee %s m, events %s" % (len(rows), g4(apogee), [e[0] for e in events]))


if __name__ == "__main__":
    main()
