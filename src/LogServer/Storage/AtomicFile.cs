namespace Attest.LogServer.Storage;

/// <summary>Replaces a small file so that after a crash it holds either the old or the new bytes, durably.</summary>
public static partial class AtomicFile
{
    public static void Write(string path, ReadOnlySpan<byte> bytes, UnixFileMode? mode = null)
    {
        string tmp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = mode;
        using (var f = new FileStream(tmp, options))
        {
            f.Write(bytes);
            f.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
        FsyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    // A rename is durable only once the directory entry is; .NET has no API for it, so open the directory read-only and fsync it.
    private static void FsyncDirectory(string dir)
    {
        int fd = Native.open(dir, 0 /* O_RDONLY */);
        if (fd < 0) return;
        try { Native.fsync(fd); } finally { Native.close(fd); }
    }

    private static partial class Native
    {
        [System.Runtime.InteropServices.LibraryImport("libc", StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8)]
        internal static partial int open(string path, int flags);

        [System.Runtime.InteropServices.LibraryImport("libc")]
        internal static partial int fsync(int fd);

        [System.Runtime.InteropServices.LibraryImport("libc")]
        internal static partial int close(int fd);
    }
}
