namespace Gateway.Tests.Infrastructure;

internal static class TestPaths
{
    /// <summary>The checkout's root: the first folder above the test binaries that holds Gateway.sln.</summary>
    public static string RepositoryRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Gateway.sln")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new DirectoryNotFoundException($"Gateway.sln not found above {AppContext.BaseDirectory}");
        }
    }
}
