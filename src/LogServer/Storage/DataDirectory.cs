using System.Runtime.InteropServices;

namespace Attest.LogServer.Storage;

/// <summary>
/// The data directory holds claims, e-mails, payloads and encrypted issuer keys: it is 0700 and every file in it 0600,
/// whoever creates them.
/// </summary>
/// <remarks>
/// FASTER's devices and checkpoint managers open their files themselves, with the default mode, at times of their
/// choosing; chmod after the fact would leave each new file readable for a while and need to know every file. So the
/// process-wide umask is set to 077 before anything is created: every file and directory the server makes is then
/// owner-only at creation. The umask cannot fix what already exists, so at start the directory is also walked and
/// tightened: data directories written before this (0755 and 0644 under the usual umask of 022), or files an operator
/// copied in. Symbolic links are neither followed nor changed. The walk also removes the temporary files a crash left
/// behind (<see cref="DurableFile"/> names them <c>.&lt;name&gt;.&lt;random&gt;.tmp</c>); nothing else runs yet.
/// </remarks>
public static partial class DataDirectory
{
    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Sets the umask, creates the directory if need be and tightens what it already holds.</summary>
    public static void Prepare(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }
        umask(0b000_111_111); // 077
        Directory.CreateDirectory(path);
        Tighten(new DirectoryInfo(path));
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void Tighten(DirectoryInfo dir)
    {
        if (dir.UnixFileMode != DirectoryMode) dir.UnixFileMode = DirectoryMode;
        foreach (var entry in dir.EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = 0 }))
        {
            if (entry.LinkTarget is not null) continue;
            if (entry is DirectoryInfo sub) Tighten(sub);
            else if (entry.Name.StartsWith('.') && entry.Name.EndsWith(".tmp", StringComparison.Ordinal)) entry.Delete();
            else if (entry.UnixFileMode != FileMode) entry.UnixFileMode = FileMode;
        }
    }

    [LibraryImport("libc")]
    private static partial uint umask(uint mask);
}
