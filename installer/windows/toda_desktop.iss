; Inno Setup 6.3+ script for the Windows installer of 戸田市 教育データ デスクトップ.
; Input: the one-folder PyInstaller build made on Windows by the same spec
;   (py -m PyInstaller --noconfirm installer\toda_desktop.spec  ->  dist\toda-desktop\).
; Compile: "C:\Program Files (x86)\Inno Setup 6\ISCC.exe" installer\windows\toda_desktop.iss
; Saved as UTF-8 with BOM so that every Inno Setup 6 release reads the Japanese text.

#define AppName "戸田市 教育データ デスクトップ"
#define AppVersion "0.1.0"
#define AppExe "toda-desktop.exe"
#define DistDir "..\..\dist\toda-desktop"
; The encrypted store lives outside the program folder so that updates and uninstalls
; never touch it. The shortcut passes its path to the application.
#define DataDir "{commonappdata}\TodaDesktop"

[Setup]
AppId={{6F0C5B8E-3D2A-4B7E-9A61-2C4D8E1F7A30}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=戸田市教育委員会
DefaultDirName={autopf}\TodaDesktop
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist\installer
OutputBaseFilename=toda-desktop-{#AppVersion}-setup
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
UninstallDisplayIcon={app}\{#AppExe}

[Languages]
Name: "japanese"; MessagesFile: "compiler:Languages\Japanese.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Dirs]
; Staff accounts must be able to write the store and its logs; the data stays encrypted.
Name: "{#DataDir}"; Permissions: users-modify; Flags: uninsneveruninstall

[Files]
Source: "{#DistDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"; Parameters: "--store ""{#DataDir}\store.tdb"""
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Parameters: "--store ""{#DataDir}\store.tdb"""; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Parameters: "--store ""{#DataDir}\store.tdb"""; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
