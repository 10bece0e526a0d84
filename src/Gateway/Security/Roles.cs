namespace Gateway.Security;

/// <summary>
/// The three roles, each allowed what the one before it is: a <c>viewer</c> reads and watches; an
/// <c>operator</c> also sends, closes, broadcasts and decides held messages; an <c>admin</c> also replays and
/// manages listeners, connections, faults and settings. Each role is also the name of the policy that
/// requires it (or more).
/// </summary>
internal static class Roles
{
    public const string Viewer = "viewer";
    public const string Operator = "operator";
    public const string Admin = "admin";

    public static readonly string[] All = [Viewer, Operator, Admin];

    /// <summary>The roles that satisfy <paramref name="role"/>: itself and those above it.</summary>
    public static string[] AtLeast(string role) => All[Array.IndexOf(All, role)..];

    public static bool IsRole(string? role) => role is not null && All.Contains(role);
}
